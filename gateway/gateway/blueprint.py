"""The gateway's flask-smorest ``Blueprint``: a request schema given as a class is built once.

webargs builds a schema given as a class anew for every request it parses (``Parser._get_schema``),
which costs more than parsing a small body; schemas keep no per-request state, so one instance
per class serves every request.
"""

from functools import cache

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser


@cache
def _instance(schema_class: type[ma.Schema]) -> ma.Schema:
    return schema_class()


class SchemaReusingParser(FlaskParser):
    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _instance(argmap)
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SchemaReusingParser()
