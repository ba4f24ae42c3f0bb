"""Shared data for the CompanyFlow tests: the seed's example body, verbatim."""

from __future__ import annotations

import json
from typing import Any

import pytest

# The example response of seeds/002_fd8d337aa4293fe5.txt (GET /leave-balance/{leave_type_id}),
# copied character for character: the emulator must answer exactly this.
SEED_EXAMPLE_TEXT = """{
  "success": true,
  "data": {
    "id": "bal-001-uuid",
    "employee_id": "987e6543-e21b-12d3-a456-426614174000",
    "leave_type_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "year": 2025,
    "total_days": 22,
    "used_days": 5,
    "pending_days": 1.5,
    "available_days": 15.5,
    "carried_forward_days": 2,
    "leave_type": {
      "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
      "name": "Annual Leave",
      "code": "AL",
      "days_allowed": 20,
      "is_paid": true,
      "color_code": "#3B82F6"
    },
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-03-03T10:30:00Z"
  }
}"""


@pytest.fixture
def seed_body() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(SEED_EXAMPLE_TEXT)
    return body


@pytest.fixture
def seed_text() -> str:
    return SEED_EXAMPLE_TEXT
