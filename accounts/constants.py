from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANISATION = "organisation", _("单位")
    # A login of an organisation's staff member: acts for the organisation (declares,
    # follows, submits its machines) but owns nothing and manages neither staff nor agents.
    ORG_STAFF = "org_staff", _("单位员工")


class Role(models.TextChoices):
    OWNER = "owner", _("机主")
    CLERK = "clerk", _("窗口受理员")
    REVIEWER = "reviewer", _("区审核员")
    CITY_ADMIN = "city_admin", _("市级管理员")
    INSPECTOR = "inspector", _("行业检查员")


# Staff roles bound to one district of the city table.
DISTRICT_ROLES = frozenset({Role.CLERK, Role.REVIEWER})
STAFF_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN, Role.INSPECTOR})


class SmsPurpose(models.TextChoices):
    REGISTER = "register", _("注册")
    RESET_PASSWORD = "reset_password", _("重置密码")
    AGENT_CONSENT = "agent_consent", _("委托代办确认")
    COUNTER_INTAKE = "counter_intake", _("窗口代办确认")
    OWNER_CHANGE = "owner_change", _("机主变更确认")  # manual 二(1): both owners confirm
    ORG_STAFF = "org_staff", _("单位员工账户确认")  # the phone's holder agrees to the login


class Department(models.TextChoices):
    """Art. 15: the departments whose inspectors check machines in use."""

    CONSTRUCTION = "construction", _("建设")
    TRANSPORT = "transport", _("交通")
    AGRICULTURE = "agriculture", _("农业")
    GREENING = "greening", _("绿化市容")
    MARKET = "market", _("市场监管")
    AVIATION = "aviation", _("民航")
    ENVIRONMENT = "environment", _("生态环境")
