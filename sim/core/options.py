"""Option lists that are not scenario keys, each one ``Literal`` (light to import: the command
line builds its ``--help`` from them without loading numpy or pydantic)."""

from __future__ import annotations

from typing import Literal

Engine = Literal["vector", "agents"]  # how a day is simulated: arrays, or one Mesa agent per consumer
