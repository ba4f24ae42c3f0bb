"""Contract suites: recorded fixtures per vendor (`contracts/<vendor>/<operation>/*.json`) and
the harness that replays them against the SDK, the emulator, or the live vendor."""
