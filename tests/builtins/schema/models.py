"""Pydantic models that the `schema.model` tests and examples name (as the engine allows)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    name: str | None = None


class SendEmail(BaseModel):
    """The arguments of a `send_email` tool."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: list[Recipient] = Field(min_length=1)
    subject: str = Field(max_length=200)
    body: str
    priority: int = Field(default=3, ge=1, le=5)
