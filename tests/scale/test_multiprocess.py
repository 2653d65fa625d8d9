"""Two app servers as separate processes (gunicorn, DEBUG off) on two loopback ports, one
database, one S3 (moto's server) and one task worker, as behind a load balancer: a session
opened on A works on B, a photo uploaded on A is served by B, wrong passwords typed on A
and B lock the account on both, and a fleet file uploaded on A is imported by the worker
from the bucket. No app server's own disk holds any of it."""

import json
import re
import time
from pathlib import Path

import boto3
import pytest
import requests

from bench.cluster import BUCKET, Cluster
from tests.conftest import PASSWORD
from tests.fleets.conftest import row, xlsx
from tests.registry.helpers import BASIC_DATA, jpeg

SETUP = """
import json
from accounts.models import User
from registry import actions
owner = User(phone="13800000001", name="张三", kind="person", id_number="11010519491231002X")
owner.set_password({password!r}); owner.save()
target = User(phone="13800000011", name="钱七", kind="person", id_number="110101199003074530")
target.set_password({password!r}); target.save()
org = User(phone="13800000002", name="上海示例建设工程有限公司", kind="organisation",
           credit_code="91310115MA1K3BTP2B", legal_representative="王五", contact_name="赵六")
org.set_password({password!r}); org.save()
d = actions.start_declaration(acting_user=owner, owner=owner, data={{"district": "L",
    "site_type": "工地", "site_address": "浦东新区张江路1号", "registration_type": "machine"}})
from registry.steps import BASIC
d = actions.save_step(acting_user=owner, declaration=d, step=BASIC, data={basic!r})
print(json.dumps({{"declaration": d.pk}}))
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("cluster"), apps=2, task_worker=True)
    try:
        running.start(setup=SETUP.format(password=PASSWORD, basic=BASIC_DATA))
        running.ids = json.loads(running.setup_output)  # type: ignore[attr-defined]
        yield running
    finally:
        running.stop()


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, url
    return match.group(1)


def log_in(session: requests.Session, base: str, identifier: str, password: str):
    token = csrf(session, f"{base}/login/")
    return session.post(
        f"{base}/login/",
        data={"csrfmiddlewaretoken": token, "identifier": identifier, "password": password},
        allow_redirects=False,
        timeout=10,
    )


def test_a_session_opened_on_one_server_works_on_the_other(cluster):
    a, b = cluster.urls
    browser = requests.Session()
    assert log_in(browser, a, "13800000001", PASSWORD).status_code == 302
    page = browser.get(f"{b}/account/", allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "张三" in page.text
    # Logging out on B ends it on A too.
    token = csrf(browser, f"{b}/account/")
    browser.post(f"{b}/logout/", data={"csrfmiddlewaretoken": token}, timeout=10)
    assert browser.get(f"{a}/account/", allow_redirects=False, timeout=10).status_code == 302


def test_a_photo_uploaded_on_one_server_is_served_by_the_other(cluster):
    a, b = cluster.urls
    browser = requests.Session()
    assert log_in(browser, a, "13800000001", PASSWORD).status_code == 302
    declaration = cluster.ids["declaration"]
    photos = f"/declarations/{declaration}/photos/"
    upload = browser.post(
        f"{a}{photos}",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "kind": "front"},
        files={"file": ("front.jpg", jpeg("green"), "image/jpeg")},
        allow_redirects=False,
        timeout=20,
    )
    assert upload.status_code == 302, upload.text[:500]
    # The wizard's photo step, where the upload sends the browser, opened on B.
    page = browser.get(b + upload.headers["Location"].split("#")[0], timeout=10).text
    ids = sorted(set(re.findall(r'"/photos/(\d+)/"', page)))
    assert len(ids) == 1, page[:3000]
    served = browser.get(f"{b}/photos/{ids[0]}/", timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    s3 = boto3.client(
        "s3",
        endpoint_url=cluster.s3_url,
        region_name="us-east-1",
        aws_access_key_id="cluster",
        aws_secret_access_key="cluster",
    )
    stored = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert any(key.startswith("declarations/") for key in stored), stored
    assert served.content in {
        s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in stored
    }
    assert cluster.media_files() == []
    # Another browser, not signed in, gets nothing.
    assert requests.get(f"{b}/photos/{ids[0]}/", allow_redirects=False, timeout=10).status_code in (
        302,
        404,
    )


def test_wrong_passwords_on_both_servers_lock_the_account_on_both(cluster):
    a, b = cluster.urls
    for attempt in range(5):  # NRMM_LOGIN_FAILURES_PER_ACCOUNT
        server = (a, b)[attempt % 2]
        wrong = log_in(requests.Session(), server, "13800000011", "not-the-password")
        assert wrong.status_code == 400, attempt
    for server in (a, b):
        refused = log_in(requests.Session(), server, "13800000011", PASSWORD)
        assert refused.status_code == 429 and "密码错误次数过多" in refused.text


def test_a_fleet_file_uploaded_on_one_server_is_imported_by_the_worker(cluster):
    a, b = cluster.urls
    browser = requests.Session()
    assert log_in(browser, a, "13800000002", PASSWORD).status_code == 302
    sent = browser.post(
        f"{a}/fleet/imports/",
        data={"csrfmiddlewaretoken": csrf(browser, f"{a}/fleet/imports/")},
        files={"file": ("机械.xlsx", xlsx([row(1), row(2), row(3)]), "application/octet-stream")},
        allow_redirects=False,
        timeout=20,
    )
    assert sent.status_code == 302, sent.text[:500]
    job = sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    deadline = time.monotonic() + 30
    status = ""
    while time.monotonic() < deadline:
        progress = browser.get(f"{b}/fleet/imports/{job}/progress/", timeout=10).text
        status = re.search(r'data-status="(\w+)"', progress).group(1)  # type: ignore[union-attr]
        if status in ("done", "failed"):
            break
        time.sleep(0.3)
    assert status == "done", Path(cluster.workdir / "worker.log").read_text()[-3000:]
    assert cluster.media_files() == []
