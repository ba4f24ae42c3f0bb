"""The base of every vendor's wire models.

Field names are exactly the vendor's documented ones (a Python alias only where a name is not
an identifier, e.g. `$count`); fields a vendor adds are kept in `model_extra`, so that a new
field breaks nothing and shows up (the contract suites report it as additive drift).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """A vendor's JSON object as documented; undocumented fields are kept, and visible."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
