"""Provider faults, for both providers: each ends in a clear error or a retried success."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from records_svc.sirene import errors
from records_svc.sirene.http import retry_after_seconds
from records_svc.sirene.service import SireneService, build_service
from tests.sirene import fake_provider as fp
from tests.sirene.conftest import sirene_settings


class Sleeps(list[float]):
    """Records the waits instead of sleeping (the waits are what is asserted)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def number_and_route(provider: str) -> tuple[str, str]:
    if provider == "insee":
        return fp.DINUM_SIRET, f"/insee/siret/{fp.DINUM_SIRET}"
    return fp.CARREFOUR_SIRET, f"/recherche/search?q={fp.CARREFOUR_SIRET}"


def make(
    tmp_path: Path, fake: fp.FakeProvider, provider: str, sleeps: Sleeps | None = None, **kw: object
) -> SireneService:
    settings = sirene_settings(tmp_path, fake, provider, **kw)
    return build_service(settings, sleep=sleeps if sleeps is not None else Sleeps())


def success(fake: fp.FakeProvider, route: str) -> fp.Reply:
    return fake.routes[route][0]


def test_429_with_retry_after_is_waited_for_then_retried(
    tmp_path: Path, fake: fp.FakeProvider, provider: str
) -> None:
    number, route = number_and_route(provider)
    fake.set(
        route,
        fp.Reply(429, "<html>Too Many Requests</html>", {"Retry-After": "1"}),
        success(fake, route),
    )
    sleeps = Sleeps()
    result = make(tmp_path, fake, provider, sleeps).lookup(number)
    assert result.fields["siret"] == number
    assert fake.calls(route) == 2
    assert sleeps == [1.0]


def test_429_without_retry_after_backs_off_then_retries(
    tmp_path: Path, fake: fp.FakeProvider, provider: str
) -> None:
    number, route = number_and_route(provider)
    fake.set(route, fp.Reply(429, {"message": "quota"}), success(fake, route))
    sleeps = Sleeps()
    make(tmp_path, fake, provider, sleeps, sirene_backoff_seconds=0.25).lookup(number)
    assert fake.calls(route) == 2
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5


def test_quota_exhausted_beyond_the_retries_is_429_with_retry_after(
    tmp_path: Path, fake: fp.FakeProvider, provider: str
) -> None:
    number, route = number_and_route(provider)
    fake.set(route, fp.Reply(429, {"message": "quota"}))
    with pytest.raises(errors.QuotaExhaustedError) as caught:
        make(tmp_path, fake, provider).lookup(number)
    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"].isdigit()
    assert fake.calls(route) == 2  # the configured attempts, no more


def test_a_retry_after_longer_than_we_wait_ends_at_once(
    tmp_path: Path, fake: fp.FakeProvider, provider: str
) -> None:
    number, route = number_and_route(provider)
    fake.set(route, fp.Reply(429, {"message": "quota"}, {"Retry-After": "120"}))
    with pytest.raises(errors.QuotaExhaustedError) as caught:
        make(tmp_path, fake, provider).lookup(number)
    assert caught.value.retry_after == 120
    assert fake.calls(route) == 1


def test_500_then_success(tmp_path: Path, fake: fp.FakeProvider, provider: str) -> None:
    number, route = number_and_route(provider)
    fake.set(
        route, fp.Reply(500, {"header": {"statut": 500, "message": "boom"}}), success(fake, route)
    )
    assert make(tmp_path, fake, provider).lookup(number).fields["siret"] == number
    assert fake.calls(route) == 2


def test_a_provider_down_is_503(tmp_path: Path, fake: fp.FakeProvider, provider: str) -> None:
    number, route = number_and_route(provider)
    fake.set(route, fp.Reply(503, "<html>maintenance</html>"))
    with pytest.raises(errors.ProviderUnavailableError) as caught:
        make(tmp_path, fake, provider).lookup(number)
    assert caught.value.status == 503
    assert fake.calls(route) == 2


def test_a_slow_answer_past_the_timeout_is_504(
    tmp_path: Path, fake: fp.FakeProvider, provider: str
) -> None:
    number, route = number_and_route(provider)
    fake.set(route, fp.Reply(200, {"results": []}, delay=1.0))
    with pytest.raises(errors.ProviderTimeoutError) as caught:
        make(tmp_path, fake, provider, sirene_timeout_seconds=0.2).lookup(number)
    assert caught.value.status == 504


def test_an_unreachable_provider_is_503(tmp_path: Path, fake: fp.FakeProvider) -> None:
    service = make(tmp_path, fake, "insee", sirene_insee_url="http://127.0.0.1:9/insee")
    with pytest.raises(errors.ProviderUnavailableError):
        service.lookup(fp.DINUM_SIRET)


def test_a_malformed_number_for_the_register_is_422_with_its_message(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    message = "Erreur de format de siret (13002526500013) - Format attendu : 14 chiffres"
    fake.set(
        f"/insee/siret/{fp.DINUM_SIRET}",
        fp.Reply(400, {"header": {"statut": 400, "message": message}}),
    )
    with pytest.raises(errors.InvalidCompanyNumberError) as caught:
        make(tmp_path, fake, "insee").lookup(fp.DINUM_SIRET)
    assert caught.value.status == 422
    assert message in caught.value.detail


def test_a_rejected_key_is_503_and_logged_without_the_key(
    tmp_path: Path, fake: fp.FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "wrong-key-s3cr3t"
    with caplog.at_level(logging.ERROR), pytest.raises(errors.ProviderKeyRejectedError) as caught:
        make(tmp_path, fake, "insee", sirene_insee_key=secret).lookup(fp.DINUM_SIRET)
    assert caught.value.status == 503
    assert "refused" in caplog.text and "401" in caplog.text
    assert secret not in caplog.text and secret not in caught.value.detail
    assert fake.seen[-1].headers["x-insee-api-key-integration"] == secret


def test_a_json_body_that_is_not_json_is_503(tmp_path: Path, fake: fp.FakeProvider) -> None:
    fake.set(f"/insee/siret/{fp.DINUM_SIRET}", fp.Reply(200, "<html>portal</html>"))
    with pytest.raises(errors.ProviderUnavailableError):
        make(tmp_path, fake, "insee").lookup(fp.DINUM_SIRET)


def test_retry_after_may_be_an_http_date() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("soon") is None


def test_a_merged_siren_is_followed_to_its_new_number(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    old = fp.siret_for("13002531")[:9]
    fake.set(
        f"/insee/siren/{old}",
        fp.Reply(301, {"header": {"statut": 301, "message": "Unité légale fusionnée"}},
                 {"Location": f"{fake.url}/insee/siren/{fp.DINUM_SIREN}"}),
    )  # fmt: skip
    result = make(tmp_path, fake, "insee").lookup(old)
    assert result.fields["name"] == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert result.fields["siren"] == fp.DINUM_SIREN  # the number the register kept
    assert [w["code"] for w in result.warnings] == ["replaced"]
    assert fake.seen[-1].headers["x-insee-api-key-integration"] == fp.INSEE_KEY
