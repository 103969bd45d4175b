"""Decide the hug from what the photo shows: who stands in front, and what each arm does.

- The person in front where the two overlap in the photo stays in front (changing the order of
  overlapping layers would pop). Otherwise the shorter one comes in front, so the taller one's
  arm can go over their shoulders.
- The back person's inner arm, if free, wraps: over the partner's shoulders when that person is
  the taller, around the partner's back otherwise; the hand comes to rest in front.
- The front person's inner arm, if free, slides behind the partner (around their back).
- Every other arm stays with its torso (crossed, hidden, handless or outer arms).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from hugai.types import Part, Rig, Scene


class ArmAction(Enum):
    STAY = "stays with the body"
    WRAP_SHOULDERS = "wraps over the partner's shoulders"
    WRAP_BACK = "wraps around the partner's back"
    BEHIND = "slides behind the partner's back"


@dataclass(frozen=True)
class ArmPlan:
    person: int
    part: Part
    action: ArmAction
    why: str


@dataclass(frozen=True)
class HugPlan:
    """front/back: person indices (0 = left). arms: one plan per arm (4 in all)."""

    front: int
    back: int
    arms: tuple[ArmPlan, ...]

    def action(self, person: int, part: Part) -> ArmAction:
        for a in self.arms:
            if a.person == person and a.part == part:
                return a.action
        return ArmAction.STAY

    def lines(self) -> tuple[str, ...]:
        side = ("left", "right")
        out = [f"{side[self.front]} person in front, {side[self.back]} person behind"]
        for a in self.arms:
            arm = "left arm" if a.part == Part.L_ARM else "right arm"
            out.append(f"{side[a.person]} person's {arm} {a.action.value} ({a.why})")
        return tuple(out)


def inner_arm(person: int) -> Part:
    """A frontal person's arm nearer the partner: the left person's own left arm (image right)."""
    return Part.L_ARM if person == 0 else Part.R_ARM


def plan_hug(scene: Scene, rigs: tuple[Rig, Rig]) -> HugPlan:
    tops = [float(r.face[1]) for r in rigs]
    taller = 0 if tops[0] < tops[1] else 1
    if scene.in_front is not None:
        front = scene.in_front
        front_why = "in front in the photo"
    else:
        front = 1 - taller
        front_why = "the shorter one"
    back = 1 - front
    arms: list[ArmPlan] = []
    for person in (0, 1):
        rig = rigs[person]
        for part in (Part.L_ARM, Part.R_ARM):
            free = rig.arm_free[part - 1]
            why = rig.arm_why[part - 1]
            if part != inner_arm(person):
                arms.append(ArmPlan(person, part, ArmAction.STAY, "outer arm" if free else why))
            elif not free:
                arms.append(ArmPlan(person, part, ArmAction.STAY, why))
            elif person == back:
                action = ArmAction.WRAP_SHOULDERS if person == taller else ArmAction.WRAP_BACK
                arms.append(ArmPlan(person, part, action, f"free arm of the one behind; {why}"))
            else:
                arms.append(
                    ArmPlan(person, part, ArmAction.BEHIND, f"free arm, {front_why} in front")
                )
    return HugPlan(front=front, back=back, arms=tuple(arms))
