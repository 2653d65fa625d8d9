"""A4 forms: the filled information form (附件1) and the number installation guide."""

import re

import pypdfium2 as pdfium
import pytest

from documents.data import FormSection, InformationForm, InstallationGuide, SignData
from documents.forms import information_form_pdf, installation_guide_pdf
from documents.sign import PB09_RGB, YR06_RGB

MM = 72 / 25.4
VENDORED = {b"NotoSansSC-Bold", b"NotoSerifSC-Regular"}

FORM = InformationForm(
    title="非道路移动机械环保信息采集表",
    number="工程机械沪A2-00040",
    sections=(
        FormSection(
            "一、所有人信息",
            (("所有人名称", "上海示例建设工程有限公司"), ("联系电话", "138****0001")),
        ),
        FormSection(
            "二、机械信息",
            (
                ("机械种类", "工程机械"),
                ("机械类型", "挖掘机"),
                ("备注", "第一行，包含<尖括号>与&符号\n第二行"),
            ),
        ),
        FormSection("三、附件", ()),
    ),
    footer="打印时间：2026-11-23 10:00",
)

GUIDE = InstallationGuide(
    number="工程机械沪A2-00040",
    sign=SignData("工程机械", "沪A2-00040"),
    district_name="浦东新区",
    lines=(
        "一、标志应安装在机械车身外侧明显位置，安装牢固，不得遮挡。",
        "二、不具备安装条件的，可按图示尺寸和颜色喷涂号码。",
    ),
)


def pages_text(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    texts = [page.get_textpage().get_text_range() for page in document]
    document.close()
    return texts


def assert_a4(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    for page in document:
        width, height = page.get_size()
        assert width / MM == pytest.approx(210, abs=0.01)
        assert height / MM == pytest.approx(297, abs=0.01)
    count = len(document)
    document.close()
    return count


def assert_vendored_fonts(pdf: bytes) -> None:
    assert b"/FontFile2" in pdf
    names = re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf)
    assert {re.sub(rb"^[A-Z]{6}\+", b"", name) for name in names} == VENDORED
    assert b"Helvetica" not in pdf and b"Times" not in pdf


def test_information_form():
    pdf = information_form_pdf(FORM)
    assert assert_a4(pdf) == 1
    assert_vendored_fonts(pdf)
    (text,) = pages_text(pdf)
    flat = re.sub(r"\s", "", text)
    for expected in [
        FORM.title,
        "工程机械沪A2-00040",
        "一、所有人信息",
        "上海示例建设工程有限公司",
        "138****0001",
        "包含<尖括号>与&符号",  # escaped, not markup
        "第一行",
        "第二行",
        "三、附件",
        "（无）",
        "打印时间：2026-11-23",
        "第1页",
    ]:
        assert expected in flat, expected


def test_long_form_flows_onto_more_pages_and_wraps():
    long_value = "很长的值，" * 80
    rows = tuple((f"项目{i}", long_value if i % 5 == 0 else f"值{i}") for i in range(60))
    form = InformationForm("非道路移动机械环保信息采集表", "", (FormSection("一、机械信息", rows),))
    pdf = information_form_pdf(form)
    pages = assert_a4(pdf)
    assert pages >= 3
    texts = pages_text(pdf)
    assert "环保登记号码" not in texts[0]  # no number given
    for i, text in enumerate(texts):
        assert "一、机械信息" in text  # the section heading repeats on each page
        assert f"第 {i + 1} 页" in text
        for line in text.splitlines():
            assert not line.strip().startswith(("，", "。", "、")), line
    assert "项目59" in texts[-1]


def test_form_without_title_is_refused():
    with pytest.raises(ValueError, match="title is empty"):
        information_form_pdf(InformationForm(" ", "", ()))


def test_installation_guide():
    pdf = installation_guide_pdf(GUIDE)
    assert assert_a4(pdf) == 1
    assert_vendored_fonts(pdf)
    (text,) = pages_text(pdf)
    flat = re.sub(r"\s", "", text)
    for expected in [
        "非道路移动机械环保登记号码安装说明",
        "工程机械沪A2-00040",
        "浦东新区",
        GUIDE.lines[0],
        GUIDE.lines[1],
        "PB09",
        "YR06",
    ]:
        assert expected in flat, expected
    # the dimension chains: row 1, overall, row 2, vertical
    assert "85 60 10 60 10 60 10 60 85" in text
    assert "20 40 8 40 8 40 6 20 6 40 8 40 8 40 8 40 8 40 20" in text
    assert "25 60 30 80 25" in text
    assert "440" in text and "220" in text


def test_installation_guide_draws_the_sign_in_its_colours():
    pdf = installation_guide_pdf(GUIDE)
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=2).to_pil().convert("RGB")
    document.close()
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    counts = dict((rgb, n) for n, rgb in colours)

    def near(target: tuple[int, int, int]) -> int:
        return sum(
            n
            for rgb, n in counts.items()
            if all(abs(a - b) <= 2 for a, b in zip(rgb, target, strict=True))
        )

    assert near(PB09_RGB) > 10_000
    assert near(YR06_RGB) > 5_000


@pytest.mark.parametrize(
    ("guide", "message"),
    [
        (
            InstallationGuide("工程机械沪A2-00041", GUIDE.sign, "浦东新区", ()),
            "does not match its sign",
        ),
        (InstallationGuide("工程机械沪A2-00040", GUIDE.sign, "", ()), "district name is empty"),
        (
            InstallationGuide(
                "工程机械沪A2-0004", SignData("工程机械", "沪A2-0004"), "浦东新区", ()
            ),
            "is not like 沪A2-00001",
        ),
    ],
)
def test_bad_guide_is_refused(guide, message):
    with pytest.raises(ValueError, match=message):
        installation_guide_pdf(guide)
