"""Grey release of a changed match rule: propose it for some systems, compare, enable, promote
or roll back (``mdm.linking.rule_rollout``)."""

import json

from django.core.management.base import BaseCommand, CommandError

from dictionary.models import EntityChoices
from matching.models import MatchRuleRollout
from matching.rules import rule_from_dict
from mdm.errors import ServiceError
from mdm.linking.rule_rollout import (
    compare_rollout,
    enable_rollout,
    promote_rollout,
    propose_rollout,
    roll_back_rollout,
)
from mdm.linking.rule_store import fit_rule_on_records

STEPS = {"enable": enable_rollout, "promote": promote_rollout, "rollback": roll_back_rollout}


class Command(BaseCommand):
    help = (
        "Grey release of a match rule: propose a changed rule (a JSON file, or the weights the "
        "learning would re-fit) for some source systems, see what it would merge, split and "
        "queue differently, enable it for those systems, promote it to all, or roll it back."
    )

    def add_arguments(self, parser):
        steps = parser.add_subparsers(dest="step", required=True)
        propose = steps.add_parser("propose", help="open a rollout in shadow and compare it")
        propose.add_argument("--entity", required=True, choices=EntityChoices.values)
        propose.add_argument(
            "--systems", required=True, help="source system codes, comma-separated"
        )
        source = propose.add_mutually_exclusive_group(required=True)
        source.add_argument("--rule", metavar="FILE", help="the candidate rule (JSON)")
        source.add_argument(
            "--refit", action="store_true", help="the weights re-fitted on the stored records"
        )
        propose.add_argument("--reason", required=True)
        compare = steps.add_parser("compare", help="compare an open rollout with the live rule")
        compare.add_argument("rollout", type=int)
        for name, text in (
            ("enable", "link records arriving from the rollout's systems with it"),
            ("promote", "make it the entity's rule for all systems"),
            ("rollback", "close it, or restore the rule its promotion replaced"),
        ):
            step = steps.add_parser(name, help=text)
            step.add_argument("rollout", type=int)
            step.add_argument("--reason", required=True)
        listing = steps.add_parser("list", help="the rollouts, newest first")
        listing.add_argument("--entity", choices=EntityChoices.values)

    def handle(self, *args, step: str, **options):
        try:
            if step == "propose":
                rollout = propose_rollout(
                    entity=options["entity"],
                    rule=self._rule(options),
                    systems=options["systems"].split(","),
                    reason=options["reason"],
                    origin="refit" if options["refit"] else "steward",
                )
                self.stdout.write(
                    f"rollout #{rollout.pk} {rollout.entity}: shadow on "
                    f"{', '.join(rollout.systems)}"
                )
                self._report(compare_rollout(rollout_id=rollout.pk))
            elif step == "compare":
                self._report(compare_rollout(rollout_id=options["rollout"]))
            elif step == "list":
                self._list(options["entity"])
            else:
                rollout = STEPS[step](rollout_id=options["rollout"], reason=options["reason"])
                self.stdout.write(f"rollout #{rollout.pk} {rollout.entity}: {rollout.stage}")
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    @staticmethod
    def _rule(options):
        if options["refit"]:
            return fit_rule_on_records(options["entity"])
        path = options["rule"]
        try:
            with open(path, encoding="utf-8") as handle:
                return rule_from_dict(json.load(handle))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot read the rule in {path}: {exc}") from exc

    def _report(self, report: dict) -> None:
        self.stdout.write(
            f"compared {report['pairs']} pairs touching {report['records']} records of "
            f"{', '.join(report['systems'])}"
            + (" (stopped at the limit)" if report["truncated"] else "")
            + f": {report['changed']} decided differently; would_merge={report['would_merge']} "
            f"would_split={report['would_split']} would_queue={report['would_queue']} "
            f"would_unqueue={report['would_unqueue']}"
        )
        for change, count in report["transitions"].items():
            self.stdout.write(f"  {change}: {count}")
        for kind, lines in report["examples"].items():
            for line in lines:
                self.stdout.write(f"  {kind}: {line}")
        recorded = report.get("recorded")
        if recorded:
            self.stdout.write(
                "recorded during matching: "
                + "; ".join(
                    f"{origin} {found['differing']} of {found['decisions']} differ"
                    for origin, found in recorded["origins"].items()
                )
                + f"; would_merge={recorded['would_merge']} would_split={recorded['would_split']} "
                f"would_queue={recorded['would_queue']} would_unqueue={recorded['would_unqueue']}"
            )
            for kind, lines in recorded["examples"].items():
                for line in lines:
                    self.stdout.write(f"  recorded {kind}: {line}")

    def _list(self, entity: str | None) -> None:
        rollouts = MatchRuleRollout.objects.all()
        if entity:
            rollouts = rollouts.filter(entity=entity)
        for r in rollouts[:50]:
            changed = r.report.get("changed", "-") if r.report else "-"
            self.stdout.write(
                f"#{r.pk} {r.entity} {r.stage} systems={','.join(r.systems)} "
                f"changed={changed} {r.created_at:%Y-%m-%d %H:%M} {r.reason}"
            )
