"""The baselines `bench_sidecar.py` serves beside the sidecar (uvicorn, uvloop, httptools).

`trivial`: a Starlette endpoint that reads the body and answers a constant JSON object, the
floor any Starlette service pays. `fastapi`: the same with a pydantic body model, to show
what FastAPI would cost (only when fastapi is installed; it is not a dependency).
"""

from typing import Any

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def _trivial(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"decision": "allow"})


trivial = Starlette(routes=[Route("/v1/evaluate", _trivial, methods=["POST"])])


class Event(BaseModel):
    kind: str
    tool: str
    args: dict[str, Any] = {}


async def _evaluate(event: Event) -> dict[str, str]:
    return {"decision": "allow"}


def fastapi_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()
    app.post("/v1/evaluate")(_evaluate)
    return app
