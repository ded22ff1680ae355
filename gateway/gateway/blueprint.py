"""The gateway's flask-smorest ``Blueprint``: a request schema given as a class is built once,
and a JSON body is parsed once.

webargs builds a schema given as a class anew for every request it parses (``Parser._get_schema``),
which costs more than parsing a small body; schemas keep no per-request state, so one instance
per class serves every request. webargs would also parse a JSON body again from its bytes;
``limits.check_body`` has had Flask parse it already (strictly: no ``NaN``), so this parser
takes that parse.
"""

from functools import cache

import flask_smorest
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


@cache
def _instance(schema_class: type[ma.Schema]) -> ma.Schema:
    return schema_class()


class SchemaReusingParser(FlaskParser):
    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _instance(argmap)
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        # An empty body is no body (``check_body`` parses only bodies that have bytes): a
        # required field is then named as missing, and an optional body is simply absent.
        if not is_json_request(req) or not req.get_data(cache=True):
            return core.missing
        return req.get_json()  # Flask's cached parse; a body that is not JSON is a 400


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SchemaReusingParser()
    # Requests signed over their raw body check the body only once the signature holds
    # (``limits.check_body``).
    signed_bodies = False
