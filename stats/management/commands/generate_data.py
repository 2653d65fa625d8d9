"""python manage.py generate_data --machines N: a synthetic data set for load tests and the
statistics (stats.generate). Adds to what is there; run it again for more."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stats.generate import generate


class Command(BaseCommand):
    help = "生成模拟数据：机主、申报、登记、标志和信息卡（用于压力测试和统计）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--machines",
            type=int,
            default=1000,
            help="登记机械数（默认1000；另按比例生成待审核、退回、不予登记和草稿申报）",
        )
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认2026）")
        parser.add_argument("--days", type=int, default=730, help="申报分布在最近多少天内")
        parser.add_argument(
            "--sign-cards",
            action="store_true",
            help="为信息卡生成真实二维码签名（每张约75微秒）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["machines"] < 1:
            raise CommandError("--machines 至少为1")
        if options["days"] < 1:
            raise CommandError("--days 至少为1")
        result = generate(
            options["machines"],
            seed=options["seed"],
            days=options["days"],
            sign_cards=options["sign_cards"],
        )
        self.stdout.write(
            f"owners={result.owners} declarations={result.declarations} "
            f"registrations={result.registrations} credentials={result.credentials} "
            f"rows={result.rows} seconds={result.seconds:.2f} "
            f"rows_per_second={result.rows_per_second:,.0f}"
        )
