"""Response and request bodies of the profiles endpoints."""

from marshmallow import Schema, fields, validate

from gateway.schemas import PassThroughSchema

PERIOD = {"from": "2031-03-03T09:00:00+00:00", "to": "2031-03-22T10:00:00+00:00"}


class PeriodSchema(PassThroughSchema):
    start = fields.DateTime(data_key="from", metadata={"description": "The first fact counted"})
    end = fields.DateTime(data_key="to", metadata={"description": "The last fact counted"})


def _period():
    return fields.Nested(
        PeriodSchema,
        allow_none=True,
        metadata={"description": "The period the figure covers; null while there is nothing"},
    )


def _rate(what):
    return fields.Float(allow_none=True, metadata={"description": f"{what}; null with no data"})


class InspectionSchema(PassThroughSchema):
    inspections = fields.Integer()
    accepted = fields.Integer()
    partly_accepted = fields.Integer()
    rejected = fields.Integer()
    rework = fields.Integer()
    acceptance_rate = _rate("accepted / inspections")
    rates = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    period = _period()


class CancellationSchema(PassThroughSchema):
    orders = fields.Integer()
    cancelled = fields.Integer()
    counted_against = fields.Integer(
        metadata={"description": "Cancellations counted against this side (seed 002)"}
    )
    rate = _rate("counted_against / orders")
    period = _period()


class OnTimeDeliverySchema(PassThroughSchema):
    delivered = fields.Integer(metadata={"description": "Deliveries with a committed date"})
    on_time = fields.Integer()
    rate = _rate("on_time / delivered")
    period = _period()


class TimeToApproveSchema(PassThroughSchema):
    approved = fields.Integer()
    median_seconds = fields.Float(allow_none=True)
    period = _period()


class ResponseTimeSchema(PassThroughSchema):
    answered = fields.Integer(
        metadata={"description": "Answers to the other party in orders' conversations"}
    )
    median_seconds = fields.Float(
        allow_none=True,
        metadata={"description": "From the other party's first unanswered message to the answer"},
    )
    period = _period()


class WorkflowFiguresSchema(PassThroughSchema):
    inspection = fields.Nested(InspectionSchema)
    cancellation = fields.Nested(CancellationSchema)
    on_time_delivery = fields.Nested(OnTimeDeliverySchema)
    time_to_approve = fields.Nested(TimeToApproveSchema)


class ReviewSchema(PassThroughSchema):
    review_id = fields.String(metadata={"example": "0b9c…:buyer"})
    order_id = fields.String()
    order_title = fields.String(allow_none=True)
    order_placed_at = fields.DateTime(allow_none=True)
    reviewer_role = fields.String(metadata={"example": "buyer"})
    reviewer_org = fields.String()
    about_org = fields.String(metadata={"description": "Of a review given: who it is about"})
    rating = fields.Integer(metadata={"example": 5})
    comment = fields.String()
    posted_at = fields.DateTime()


class ReviewsSchema(PassThroughSchema):
    count = fields.Integer(metadata={"description": "Every review received you may read"})
    average_rating = fields.Float(allow_none=True)
    period = _period()
    items = fields.List(
        fields.Nested(ReviewSchema), metadata={"description": "The newest 20, newest first"}
    )


class CompletedOrdersSchema(PassThroughSchema):
    count = fields.Integer()
    period = _period()


class SideSchema(PassThroughSchema):
    completed_orders = fields.Nested(CompletedOrdersSchema)
    reviews = fields.Nested(ReviewsSchema)
    response_time = fields.Nested(ResponseTimeSchema)
    workflows = fields.Dict(keys=fields.String(), values=fields.Nested(WorkflowFiguresSchema))


class ModerationSchema(PassThroughSchema):
    review_id = fields.String()
    reports = fields.List(fields.Dict())
    hidden_reason = fields.String(allow_none=True)
    hidden_by = fields.String(allow_none=True)
    hidden_at = fields.DateTime(allow_none=True)


class ProfileSchema(PassThroughSchema):
    """An organisation's reputation as supplier and as buyer, from its orders' outcomes."""

    org = fields.String()
    as_of = fields.DateTime()
    view = fields.String(metadata={"description": "public, own or staff"})
    supplier = fields.Nested(SideSchema)
    buyer = fields.Nested(SideSchema)
    reviews_given = fields.List(
        fields.Nested(ReviewSchema), metadata={"description": "The organisation itself and staff"}
    )
    moderation = fields.List(fields.Nested(ModerationSchema), metadata={"description": "Staff"})


class ReasonSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"example": "The review shares a phone number"},
    )


class ReportedSchema(PassThroughSchema):
    review_id = fields.String()
    reports = fields.Integer()


class HiddenSchema(PassThroughSchema):
    review_id = fields.String()
    hidden_reason = fields.String()
    hidden_at = fields.DateTime()


PROFILE_EXAMPLE = {
    "org": "forge",
    "as_of": "2031-04-02T09:00:00+00:00",
    "view": "public",
    "supplier": {
        "completed_orders": {"count": 3, "period": PERIOD},
        "reviews": {
            "count": 1,
            "average_rating": 4.0,
            "period": PERIOD,
            "items": [
                {
                    "review_id": "o-a:buyer",
                    "order_id": "o-a",
                    "order_title": "Brackets",
                    "order_placed_at": "2031-03-03T09:00:00+00:00",
                    "reviewer_role": "buyer",
                    "reviewer_org": "acme",
                    "rating": 4,
                    "comment": "Tight tolerances, on time",
                    "posted_at": "2031-03-19T10:00:00+00:00",
                }
            ],
        },
        "response_time": {"answered": 12, "median_seconds": 5400.0, "period": PERIOD},
        "workflows": {
            "manufacturing": {
                "inspection": {
                    "inspections": 4,
                    "accepted": 2,
                    "partly_accepted": 1,
                    "rejected": 1,
                    "rework": 0,
                    "acceptance_rate": 0.5,
                    "rates": {
                        "accepted": 0.5,
                        "partly_accepted": 0.25,
                        "rejected": 0.25,
                        "rework": 0.0,
                    },
                    "period": PERIOD,
                },
                "cancellation": {
                    "orders": 6,
                    "cancelled": 2,
                    "counted_against": 1,
                    "rate": 0.1667,
                    "period": PERIOD,
                },
                "on_time_delivery": {"delivered": 4, "on_time": 3, "rate": 0.75, "period": PERIOD},
                "time_to_approve": {"approved": 4, "median_seconds": 18000.0, "period": PERIOD},
            }
        },
    },
    "buyer": {
        "completed_orders": {"count": 0, "period": None},
        "reviews": {"count": 0, "average_rating": None, "period": None, "items": []},
        "response_time": {"answered": 0, "median_seconds": None, "period": None},
        "workflows": {},
    },
}
