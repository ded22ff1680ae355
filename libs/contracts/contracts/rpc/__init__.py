"""The requests services answer over RPC: schemas and limits both doors check.

The gateway validates what a client sends against these schemas, and each service validates
its RPC input against them again, so a limit holds whoever calls. One module per service.
"""
