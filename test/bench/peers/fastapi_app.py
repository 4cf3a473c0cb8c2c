"""FastAPI + uvicorn peer: POST /score with the same JSON contract as the toolkit's server, and
raw image/png bodies. Run: MODEL_DIR=... uvicorn fastapi_app:app --workers 1"""
import os

import numpy as np
from fastapi import FastAPI, HTTPException, Request

from scorer import BadRequest, Scorer

scorer = Scorer(os.environ["MODEL_DIR"])
app = FastAPI()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/score")
async def score(request: Request):
    try:
        if request.headers.get("content-type", "").startswith("image/png"):
            rows = scorer.decode_png(await request.body())[np.newaxis]
        else:
            rows = scorer.rows_from_body(await request.json())
    except (BadRequest, ValueError, KeyError, TypeError) as e:
        raise HTTPException(status_code=400, detail=str(e))
    return {"model": scorer.name, "predictions": scorer.predictions(scorer.run(rows))}
