"""Circuit breakers on tools, and the fallbacks a denied call is offered.

A policy's `breaker` declarations are compiled into `CompiledBreaker`s (`spec`); the health
they track is a `BreakerState` per tool and scope (`state`: pure transitions, closed, open
and half-open), kept beside the session state (`backends`: in this process, or on the
session store's Redis with compare-and-set); `runtime.Breakers` runs them around the
guard's decision and offers fallbacks; `metrics` counts the transitions for `/metrics`.
See docs/breakers.md.
"""

from railguard.engine.breakers.spec import CompiledBreaker

__all__ = ["CompiledBreaker"]
