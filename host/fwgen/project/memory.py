"""Each environment's fwgen_memory.h: the app's buffer sizes (fwgen.deploy.memory) for that
board and its port, rendered by templates/fwgen_memory.h.j2 into src/generated/boards/<env>/
(the environment's own include folder, beside its fwgen_board.h).

    plans = memory_plans(deployment, spec.envs())     # env id -> MemoryPlan
    files = memory_headers(deployment, spec.envs())   # {"boards/<env>/fwgen_memory.h": text}
"""
from __future__ import annotations

from typing import Sequence

from fwgen.boards import Board
from fwgen.deploy.memory import AppFacts, MemoryPlan, plan_memory
from fwgen.project.render import port_info
from fwgen.render import banner, render

HEADER = "fwgen_memory.h"
OVERRIDABLE = ("FWGEN_APP_AUDIO_WINDOW",)   # a user's fwgen_user_config.h may set these


def memory_plan(deployment, board: Board) -> MemoryPlan:
    info = port_info(board.port)
    return plan_memory(AppFacts.of(deployment), board, uart_rx_ring=bool(info.get("uart_rx_ring")),
                       mic_driver=bool(info.get("microphone")))


def memory_plans(deployment, envs: Sequence[Board]) -> dict[str, MemoryPlan]:
    return {board.id: memory_plan(deployment, board) for board in envs}


def header(plan: MemoryPlan, inputs: dict[str, str]) -> str:
    defines = plan.defines()
    if plan.uart_ring:
        defines.append(plan.uart_ring_define())
    return render("fwgen_memory.h.j2",
                  banner=banner(f"RAM buffer sizes for {plan.board}", {"board": plan.board, **inputs}),
                  board_id=plan.board, audio_source=plan.audio_source, defines=defines,
                  overridable=OVERRIDABLE, rows=plan.rows())


def memory_headers(deployment, envs: Sequence[Board]) -> dict[str, str]:
    """src/generated/ names -> content, one header per environment."""
    return {f"boards/{board_id}/{HEADER}": header(plan, dict(deployment.inputs))
            for board_id, plan in memory_plans(deployment, envs).items()}
