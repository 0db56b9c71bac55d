"""Requests of SeriesService and CustomerService built from keyword fields."""

from __future__ import annotations

from coupon.v1 import common_pb2, customer_service_pb2, series_service_pb2


def create(**fields: object) -> series_service_pb2.CreateSeriesRequest:
    return series_service_pb2.CreateSeriesRequest(series=series_service_pb2.Series(**fields))


def new_customer(**fields: object) -> customer_service_pb2.CreateCustomerRequest:
    return customer_service_pb2.CreateCustomerRequest(
        customer=customer_service_pb2.Customer(**fields)
    )


def lookup(**ref: object) -> customer_service_pb2.GetCustomerRequest:
    return customer_service_pb2.GetCustomerRequest(customer=common_pb2.CustomerRef(**ref))


def coupons_of(**ref: object) -> customer_service_pb2.ListCustomerCouponsRequest:
    return customer_service_pb2.ListCustomerCouponsRequest(customer=common_pb2.CustomerRef(**ref))
