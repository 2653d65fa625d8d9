#!/usr/bin/env bash
# From a new account to an approved number, then changes after registration, over the API.
# Run against a server started by `make run` (demo data loaded):  bash docs/api-walkthrough.sh
# tests/api/test_walkthrough.py runs this very script against a fresh server.
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
PY="${PY:-.venv/bin/python}"
PHONE="${PHONE:-13912345678}"
J='Content-Type: application/json'

# Reads one field of the JSON on stdin (the platform answers JSON everywhere).
field() { "$PY" -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# The newest SMS code sent to a phone, as its owner would read it on the phone.
code_for() { "$PY" manage.py sms_outbox --phone "$1" --last | tail -1 | grep -o '[0-9]\{6\}'; }

echo "1. Ask for a registration code and register as a person"
curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/sms-codes" -H "$J" \
     -d "{\"phone\": \"$PHONE\", \"purpose\": \"register\"}" >/dev/null
CODE=$(code_for "$PHONE")
curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/register/person" -H "$J" -d "{
  \"name\": \"王小明\", \"id_number\": \"110101199003074530\", \"phone\": \"$PHONE\",
  \"password\": \"Walk-through-2026\", \"password_confirm\": \"Walk-through-2026\",
  \"code\": \"$CODE\"}" >/dev/null

echo "2. Log in: a bearer token"
TOKEN=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/token" -H "$J" \
  -d "{\"identifier\": \"$PHONE\", \"password\": \"Walk-through-2026\"}" | field '["token"]')
AUTH="Authorization: Bearer $TOKEN"

echo "3. Start a declaration: district, site, registration type"
ID=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/declarations" -H "$AUTH" -H "$J" -d '{
  "district": "L", "site_type": "工地", "site_address": "浦东新区张江路1号",
  "registration_type": "machine"}' | field '["id"]')

echo "4. Photos: body from three angles and the machine nameplate"
PHOTO=$(mktemp --suffix=.jpg)
"$PY" -c "from PIL import Image; Image.new('RGB', (800, 600), 'orange').save('$PHOTO')"
for KIND in front rear front_45 machine_nameplate; do
  curl -sS --fail-with-body -X POST "$BASE/api/v1/declarations/$ID/photos" -H "$AUTH" \
       -F "kind=$KIND" -F "file=@$PHOTO;type=image/jpeg" >/dev/null
done

echo "5. The four steps of the wizard"
TODAY=$(date +%F)
curl -sS --fail-with-body -X PUT "$BASE/api/v1/declarations/$ID/steps/1" -H "$AUTH" -H "$J" -d "{\"data\": {
  \"machine_type\": \"挖掘机\", \"machine_name\": \"履带式挖掘机\", \"machine_model\": \"SY215C\",
  \"maker\": \"三一重机有限公司\", \"production_date\": \"2021-03-01\",
  \"factory_serial\": \"SY021CAB12345\", \"acquisition_kind\": \"purchase\",
  \"acquisition_date\": \"$TODAY\"}}" >/dev/null
curl -sS --fail-with-body -X PUT "$BASE/api/v1/declarations/$ID/steps/2" -H "$AUTH" -H "$J" \
     -d '{"data": {"has_nameplates": true}}' >/dev/null
curl -sS --fail-with-body -X PUT "$BASE/api/v1/declarations/$ID/steps/3" -H "$AUTH" -H "$J" -d '{"data": {
  "machine_disclosure_number": "CNFJG4000L53000006000001", "fuel_type": "柴油",
  "engine_maker": "康明斯", "engine_power_kw": "110", "engine_stage": "4"}}' >/dev/null
curl -sS --fail-with-body -X PUT "$BASE/api/v1/declarations/$ID/steps/4" -H "$AUTH" -H "$J" \
     -d '{"data": {}}' >/dev/null

echo "6. Submit: the emission stage the rules give"
curl -sS --fail-with-body -X POST "$BASE/api/v1/declarations/$ID/submit" -H "$AUTH" \
  | field '["stage_label"]'

echo "7. The reviewer of 浦东新区 (demo account) approves"
REVIEWER=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/token" -H "$J" \
  -d '{"identifier": "13900000002", "password": "Demo2026!"}' | field '["token"]')
curl -sS --fail-with-body -X POST "$BASE/api/v1/review/declarations/$ID/approve" \
     -H "Authorization: Bearer $REVIEWER" -H "$J" -d '{}' >/dev/null

echo "8. The owner sees the number"
NUMBER=$(curl -sS --fail-with-body "$BASE/api/v1/declarations/$ID" -H "$AUTH" | field '["number"]')
echo "环保登记号码: $NUMBER"

echo "9. The machine goes to work in 闵行区: a location change takes effect at once"
REG=$(curl -sS --fail-with-body "$BASE/api/v1/registrations" -H "$AUTH" | field '[0]["id"]')
curl -sS --fail-with-body -X POST "$BASE/api/v1/registrations/$REG/changes/location" \
     -H "$AUTH" -H "$J" -d "{\"district\": \"K\", \"since\": \"$TODAY\"}" | field '["status_label"]'

echo "10. Engine retrofit (Art. 12): the new engine, photos before and after, the lab's report"
CHANGE=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/registrations/$REG/changes/retrofit" \
  -H "$AUTH" -F engine_maker=潍柴动力 -F engine_model=WP7 -F engine_serial=WP7-2026-0001 \
  -F engine_number=CNFJG4000L53000006000009 -F engine_production_date=2026-06-01 \
  -F engine_power_kw=150 -F engine_stage=4 -F test_lab=上海市机动车检测中心 \
  -F test_report_number=SH-2026-1234 -F "event_date=$TODAY" \
  -F "before_photos=@$PHOTO;type=image/jpeg" -F "after_photos=@$PHOTO;type=image/jpeg" \
  -F "test_report_photos=@$PHOTO;type=image/jpeg" | field '["id"]')

echo "11. The district checks the machine on site and approves: a new number"
STAFF="Authorization: Bearer $REVIEWER"
curl -sS --fail-with-body -X POST "$BASE/api/v1/changes/$CHANGE/site-check" -H "$STAFF" -H "$J" \
     -d '{"notes": "发动机铭牌与检测报告一致"}' >/dev/null
NEW_REG=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/changes/$CHANGE/approve" -H "$STAFF" \
  -H "$J" -d '{}' | field '["new_registration"]["id"]')
NEW_NUMBER=$(curl -sS --fail-with-body "$BASE/api/v1/registrations/$NEW_REG" -H "$AUTH" \
  | field '["number"]')
echo "新环保登记号码: $NEW_NUMBER"

echo "12. Anyone checks the old number: it was replaced"
curl -sS --fail-with-body -G "$BASE/api/v1/verify" --data-urlencode "number=$NUMBER" \
  | field '["registration"]["status_label"]'

echo "13. Sold to 张三 (demo account): both owners confirm with their own SMS codes"
# One SMS code a minute per phone: curl waits as the 429's Retry-After header says.
curl -sS --fail-with-body --retry 2 -X POST \
     "$BASE/api/v1/registrations/$NEW_REG/changes/owner-code" -H "$AUTH" >/dev/null
SALE=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/registrations/$NEW_REG/changes/owner" \
  -H "$AUTH" -F new_owner_phone=13800000001 -F "event_date=$TODAY" \
  -F "old_owner_code=$(code_for "$PHONE")" -F "agreement_photo=@$PHOTO;type=image/jpeg" \
  | field '["id"]')
BUYER=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/token" -H "$J" \
  -d '{"identifier": "13800000001", "password": "Demo2026!"}' | field '["token"]')
curl -sS --fail-with-body -X POST "$BASE/api/v1/changes/$SALE/confirm" \
     -H "Authorization: Bearer $BUYER" -H "$J" -d "{\"code\": \"$(code_for 13800000001)\"}" \
  | field '["status_label"]'
curl -sS --fail-with-body -X POST "$BASE/api/v1/changes/$SALE/approve" -H "$STAFF" -H "$J" \
     -d '{}' >/dev/null
echo "张三的机械: $(curl -sS --fail-with-body "$BASE/api/v1/registrations/$NEW_REG" \
  -H "Authorization: Bearer $BUYER" | field '["number"]')"
rm -f "$PHOTO"
