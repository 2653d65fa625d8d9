"""make bench's floor view: off (404) unless NRMM_BENCH_FLOOR is set."""

import pytest


@pytest.mark.django_db
def test_the_floor_is_off_by_default(client):
    assert client.get("/bench/floor/").status_code == 404


@pytest.mark.django_db
def test_the_floor_answers_a_constant_when_on(client, settings):
    settings.NRMM_BENCH_FLOOR = True
    response = client.get("/bench/floor/")
    assert response.status_code == 200
    assert response.content == b"ok"
