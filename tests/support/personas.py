"""People and how they reach the hub: users with a role, their API client and their browser."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from mdm.access.accounts import issue_token

ZHANG_ID = "11010519491231002X"  # GB 11643-1999's example: region 110105, born 1949-12-31
LI_ID = "110105194912310038"  # the same region and birth date, another person
PERSON = {
    "name": "张三",
    "customer_type": "person",
    "id_number": ZHANG_ID,
    "phone": "13812345678",
    "email": "zhang.san@example.com",
    "address": "北京市朝阳区建国路88号院3号楼",
}


def make_user(username: str, role: str | None, *, password: str | None = None, staff=True):
    user = get_user_model().objects.create_user(username, password=password, is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    client.user = user
    return client


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser
