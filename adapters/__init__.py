"""Vendor SDKs, adapters and emulators, one package per vendor, on a shared core (`_core`)."""
