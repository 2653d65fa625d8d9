"""What each audit action is called on the history pages: the code in the row stays
stable (it is data), the label is for people. tests/core/test_audit_labels.py fails when an
action written anywhere has no label here."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "account.demo_created": _("创建演示账户"),
    "account.password_reset": _("重置密码"),
    "account.registered": _("注册账户"),
    "account.staff_created": _("创建工作人员账户"),
    "agent.consent_granted": _("确认委托代办"),
    "agent.consent_withdrawn": _("撤销委托代办"),
    "agent.demo_consent": _("演示委托代办"),
    "api_token.issued": _("签发接口令牌"),
    "api_token.revoked": _("注销接口令牌"),
    "change.approved": _("变更审核通过"),
    "change.closed": _("变更关闭"),
    "change.location_changed": _("使用区域变更"),
    "change.owner_code_sent": _("发送机主变更验证码"),
    "change.owner_confirmed": _("新机主确认变更"),
    "change.rejected": _("变更未通过"),
    "change.requested": _("提交变更申请"),
    "change.site_checked": _("记录现场核查"),
    "change.withdrawn": _("撤回变更申请"),
    "credential.collected": _("窗口领取标志和信息卡"),
    "credential.issued": _("核发标志和信息卡"),
    "credential.notified": _("通知领取"),
    "credential.pickup_code_wrong": _("领取密码错误"),
    "credential.produced": _("标志和信息卡制作完成"),
    "credential.revoked": _("标志和信息卡作废"),
    "declarations.imported": _("批量导入申报草稿"),
    "declarations.submit_many": _("批量提交申报"),
    "import.failed": _("批量导入失败"),
    "import.finished": _("批量导入完成"),
    "import.started": _("开始批量导入"),
    "org_staff.created": _("创建单位员工账户"),
    "org_staff.disabled": _("停用单位员工账户"),
    "org_staff.enabled": _("启用单位员工账户"),
    "declaration.approved": _("审核通过，确定环保登记号码"),
    "declaration.counter_intake_confirmed": _("机主确认窗口代办"),
    "declaration.counter_intake_requested": _("窗口代办申请"),
    "declaration.photo_deleted": _("删除申报照片"),
    "declaration.photo_uploaded": _("上传申报照片"),
    "declaration.refused": _("不予登记"),
    "declaration.returned": _("退回修改"),
    "declaration.started": _("开始申报"),
    "declaration.step_saved": _("保存申报信息"),
    "declaration.submitted": _("提交申报"),
    "external_registration.recorded": _("记录外省市登记机械"),
    "rectification.accepted": _("整改通过"),
    "rectification.answered": _("提交整改回复"),
    "rectification.ordered": _("责令整改"),
    "rectification.rejected": _("整改未通过"),
    "report.assigned": _("分派公众举报"),
    "report.closed": _("办结公众举报"),
    "report.filed": _("收到公众举报"),
    "report.noted": _("记录举报处理情况"),
    "report.reopened": _("重新处理公众举报"),
    "sign_photo.confirmed": _("确认标志已固定"),
    "sign_photo.rejected": _("标志固定照片未通过"),
    "sign_photo.uploaded": _("上传标志固定照片"),
    "spotcheck.recorded": _("记录现场检查"),
}


def label(action: str) -> str:
    """The label, or the code itself for an action written before its label existed."""
    return str(ACTION_LABELS.get(action, action))
