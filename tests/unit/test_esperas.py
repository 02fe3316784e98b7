"""Las tareas de fondo esperan con plazo y aun así se detienen cuando las cancelan, también si lo que esperaban llega
en la misma vuelta del bucle que la cancelación (con `asyncio.wait_for` de Python 3.11 esa cancelación se perdía y
quien detenía el servicio esperaba para siempre)."""

import asyncio

from plataforma.esperas import esperar_evento, esperar_tarea


async def ciclo(evento: asyncio.Event, vueltas: list[int]) -> None:
    """Como el relay y el repartidor de notificaciones: despertar, trabajar, volver a esperar."""
    while True:
        await esperar_evento(evento, 10)
        evento.clear()
        vueltas.append(1)


async def test_un_ciclo_se_detiene_si_lo_cancelan_en_la_vuelta_en_que_lo_despiertan():
    evento, vueltas = asyncio.Event(), []
    tarea = asyncio.create_task(ciclo(evento, vueltas))
    await asyncio.sleep(0)
    evento.set()
    tarea.cancel()
    hechas, _ = await asyncio.wait({tarea}, timeout=2)
    assert hechas and tarea.cancelled() and vueltas == []


async def test_un_ciclo_se_detiene_si_lo_cancelan_cuando_vence_su_plazo():
    async def ciclo_corto(evento: asyncio.Event) -> None:
        while True:
            await esperar_evento(evento, 0.01)

    for _ in range(20):  # el plazo vence en algún punto entre vueltas; ninguna cancelación se pierde
        tarea = asyncio.create_task(ciclo_corto(asyncio.Event()))
        await asyncio.sleep(0.01)
        tarea.cancel()
        hechas, _ = await asyncio.wait({tarea}, timeout=2)
        assert hechas and tarea.cancelled()


async def test_esperar_evento_dice_si_llego_antes_del_plazo():
    evento = asyncio.Event()
    assert await esperar_evento(evento, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, evento.set)
    assert await esperar_evento(evento, 5) is True


async def test_esperar_tarea_no_la_cancela_al_vencer_el_plazo():
    soltar = asyncio.Event()
    tarea = asyncio.create_task(soltar.wait())
    assert await esperar_tarea(tarea, 0.01) is False and not tarea.done()
    soltar.set()
    assert await esperar_tarea(tarea, 5) is True and tarea.result() is True
