"""Flask + gunicorn peer (the stack of the original Azure tutorials): POST /score with the same
JSON contract as the toolkit's server. Run: MODEL_DIR=... gunicorn -w 1 flask_app:app"""
import os

import numpy as np
from flask import Flask, jsonify, request

from scorer import BadRequest, Scorer

scorer = Scorer(os.environ["MODEL_DIR"])
app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/score")
def score():
    try:
        if request.mimetype == "image/png":
            rows = scorer.decode_png(request.get_data())[np.newaxis]
        else:
            body = request.get_json(silent=True)
            if body is None:
                raise BadRequest("The body must be JSON.")
            rows = scorer.rows_from_body(body)
    except (BadRequest, ValueError, KeyError, TypeError) as e:
        return jsonify(error=str(e)), 400
    return jsonify(model=scorer.name, predictions=scorer.predictions(scorer.run(rows)))
