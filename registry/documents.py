"""Plain data for the document builders (documents/), read from the models here so that the
builders never see a queryset."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import AccountKind
from accounts.models import User, masked_id_number_of
from core.reference import city
from documents.data import CardData, FormSection, InformationForm, InstallationGuide, SignData
from registry.credentials import qr_url
from registry.models import Credential, Registration
from rules.deadlines import SIGN_PHOTO_DAYS
from rules.emission import stage_label
from rules.identifiers import mask_phone


def sign_data(registration: Registration) -> SignData:
    return SignData(category=registration.category, number=registration.short_number)


def card_data(credential: Credential) -> CardData:
    registration = credential.registration
    return CardData(
        short_number=registration.short_number,
        qr_payload=qr_url(credential, registration.short_number),
        issuer=f"{city().issuer}监制",
    )


def owner_rows(owner: User) -> tuple[tuple[str, str], ...]:
    """The owner as the form prints it: identifiers masked (the full values are on file)."""
    if owner.kind == AccountKind.ORGANISATION:
        return (
            (_("单位名称"), owner.name),
            (_("统一社会信用代码"), owner.credit_code or ""),
            (_("法人代表"), owner.legal_representative),
            (_("联系人"), owner.contact_name),
            (_("手机号"), mask_phone(owner.phone)),
        )
    return (
        (_("姓名"), owner.name),
        (_("身份证号码"), masked_id_number_of(owner.id_number_enc)),
        (_("手机号"), mask_phone(owner.phone)),
    )


def information_form(registration: Registration) -> InformationForm:
    """附件1 非道路移动机械环保信息采集表, filled from the approved declaration."""
    from owners.wizard import summary_sections  # the same rows as the summary page

    declaration = registration.declaration
    sections = [FormSection(_("机械所有者"), owner_rows(registration.owner))]
    for section in summary_sections(declaration):
        rows = tuple((str(row["label"]), str(row["value"])) for row in section["rows"])
        if rows:
            sections.append(FormSection(str(section["title"]), rows))
    sections.append(
        FormSection(
            _("登记结果"),
            (
                (_("环保登记号码"), registration.number),
                (_("排放阶段"), stage_label(registration.stage)),
                (_("判定说明"), registration.stage_explanation),
                (_("登记日期"), f"{timezone.localtime(registration.issued_at):%Y-%m-%d}"),
            ),
        )
    )
    return InformationForm(
        title=_("非道路移动机械环保信息采集表"),
        number=registration.number,
        sections=tuple(sections),
        footer=_("打印时间：%(t)s") % {"t": f"{timezone.localtime():%Y-%m-%d %H:%M}"},
    )


def installation_guide(registration: Registration) -> InstallationGuide:
    district = city().district(registration.district).name
    return InstallationGuide(
        number=registration.number,
        sign=sign_data(registration),
        district_name=district,
        lines=(
            _("一、识别标志为铝质冲压金属牌，外廓尺寸440毫米×220毫米，一台机械一个。"),
            _(
                "二、领取识别标志后%(days)s日内，将标志固定于机械的显著位置，原则上固定于机身"
                "外侧靠近驾驶室的位置；用铆钉或螺栓固定牢固，不得遮挡、污损。"
            )
            % {"days": SIGN_PHOTO_DAYS},
            _(
                "三、固定后，拍摄一张能看清整台机械和标志号码的照片，在平台“我的机械”中上传，"
                "由%(district)s生态环境部门确认。"
            )
            % {"district": district},
            _("四、信息采集卡应随机械携带备查，不得转让、涂改或伪造。"),
            _(
                "五、标志或信息采集卡遗失、损毁或无法辨识的，应在10日内申请补办；机械类型、功能"
                "和外观显著变化的，应在10日内申请变更。逾期视作未按照要求固定识别标志。"
            ),
        ),
    )
