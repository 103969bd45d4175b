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


def plan_hug(
    in_front: int | None,
    face_tops: tuple[float, float],
    free: tuple[tuple[bool, bool], tuple[bool, bool]],
    why: tuple[tuple[str, str], tuple[str, str]],
) -> HugPlan:
    """The plan from who is in front in the photo (or None), the face tops (smaller y is taller)
    and, per person, whether each arm (left, right) is free and why (not)."""
    taller = 0 if face_tops[0] < face_tops[1] else 1
    if in_front is not None:
        front = in_front
        front_why = "in front in the photo"
    else:
        front = 1 - taller
        front_why = "the shorter one"
    back = 1 - front
    arms: list[ArmPlan] = []
    for person in (0, 1):
        for part in (Part.L_ARM, Part.R_ARM):
            ok = free[person][part - 1]
            reason = why[person][part - 1]
            if part != inner_arm(person):
                arms.append(ArmPlan(person, part, ArmAction.STAY, "outer arm" if ok else reason))
            elif not ok:
                arms.append(ArmPlan(person, part, ArmAction.STAY, reason))
            elif person == back:
                action = ArmAction.WRAP_SHOULDERS if person == taller else ArmAction.WRAP_BACK
                arms.append(ArmPlan(person, part, action, f"free arm of the one behind; {reason}"))
            else:
                arms.append(
                    ArmPlan(person, part, ArmAction.BEHIND, f"free arm, {front_why} in front")
                )
    return HugPlan(front=front, back=back, arms=tuple(arms))


def plan_for(scene: Scene, rigs: tuple[Rig, Rig]) -> HugPlan:
    """The plan for built rigs (the same one the rigs were cut for)."""
    return plan_hug(
        scene.in_front,
        (float(rigs[0].face[1]), float(rigs[1].face[1])),
        (rigs[0].arm_free, rigs[1].arm_free),
        (rigs[0].arm_why, rigs[1].arm_why),
    )


def moving_arms(plan: HugPlan, person: int) -> set[Part]:
    """The arms that move apart from the torso (and so are cut out as parts of their own)."""
    return {a.part for a in plan.arms if a.person == person and a.action != ArmAction.STAY}
