from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's own, with a Chinese message: its zh-Hans catalogue lacks the current
    wording of this one, so people saw it in English."""

    def validate(self, password: str, user: object = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短，至少需要%(n)s个字符") % {"n": self.min_length},
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return _("密码至少需要%(n)s个字符") % {"n": self.min_length}
