"""The one boto3 client factory: endpoints from the environment, configuration, errors.

Creating a client sends no request, so these tests need no server; the environment is
isolated from the machine's AWS configuration.
"""

from __future__ import annotations

import boto3
import botocore.config
import pytest

from sweeplib import aws
from sweeplib.errors import ConfigurationError


@pytest.fixture(autouse=True)
def isolated_aws_env(monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_aws_endpoint_url_redirects_every_service(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert aws.client("s3").meta.endpoint_url == "http://127.0.0.1:4566"
    assert aws.client("sqs").meta.endpoint_url == "http://127.0.0.1:4566"


def test_service_specific_endpoint_wins(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9324")
    assert aws.client("s3").meta.endpoint_url == "http://127.0.0.1:9000"
    assert aws.client("sqs").meta.endpoint_url == "http://127.0.0.1:9324"
    assert aws.client("athena").meta.endpoint_url == "http://127.0.0.1:4566"


def test_without_an_override_the_endpoint_is_aws():
    assert aws.client("sqs").meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"


def test_client_config_defaults():
    config = aws.client("sqs").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": aws.MAX_ATTEMPTS}
    assert config.connect_timeout == aws.CONNECT_TIMEOUT_S
    assert config.read_timeout == aws.READ_TIMEOUT_S
    assert config.max_pool_connections == aws.MAX_POOL_CONNECTIONS >= 10
    assert "sweeplib/" in config.user_agent_extra


def test_config_overrides_replace_only_what_they_name():
    override = botocore.config.Config(read_timeout=3, retries={"total_max_attempts": 1})
    config = aws.client("sqs", config=override).meta.config
    assert config.read_timeout == 3
    assert config.retries["total_max_attempts"] == 1
    assert config.connect_timeout == aws.CONNECT_TIMEOUT_S
    assert config.max_pool_connections == aws.MAX_POOL_CONNECTIONS


def test_region_from_argument_session_or_environment():
    assert aws.client("sqs").meta.region_name == "us-east-1"
    assert aws.client("sqs", region_name="eu-west-1").meta.region_name == "eu-west-1"
    session = boto3.Session(region_name="ap-southeast-2")
    assert aws.client("sqs", session=session).meta.region_name == "ap-southeast-2"


def test_missing_region_is_a_configuration_error(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError) as info:
        aws.client("sqs")
    assert info.value.name == "AWS_DEFAULT_REGION"


def test_unknown_service_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as info:
        aws.client("no-such-service")
    assert info.value.name == "no-such-service"
