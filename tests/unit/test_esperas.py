"""Las tareas de fondo esperan con plazo y aun así se detienen cuando las cancelan, también si lo que esperaban llega
en la misma vuelta del bucle que la cancelación (con `asyncio.wait_for` de Python 3.11 esa cancelación se perdía y
quien detenía el servicio esperaba para siempre)."""

import asyncio
import time

from plataforma.esperas import detener_cliente, esperar_evento, esperar_tarea


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


async def test_detener_un_cliente_que_no_termina_de_cerrar_no_detiene_a_quien_lo_usa():
    class Cliente:
        def __init__(self, segundos: float) -> None:
            self.segundos, self.detenido = segundos, False

        async def stop(self) -> None:  # como una conexión TLS que espera al broker para cerrarse
            await asyncio.sleep(self.segundos)
            self.detenido = True

    colgado, rapido = Cliente(3600), Cliente(0)
    inicio = time.monotonic()
    assert await detener_cliente(colgado, 0.2) is False
    assert time.monotonic() - inicio < 2 and not colgado.detenido
    assert await detener_cliente(rapido, 0.2) is True and rapido.detenido


async def test_detener_un_cliente_desde_una_tarea_cancelada_no_se_traga_la_cancelacion():
    class Colgado:
        async def stop(self) -> None:
            await asyncio.sleep(3600)

    async def lector() -> None:
        try:
            await asyncio.sleep(3600)  # leyendo, hasta que la cancelen
        finally:
            await detener_cliente(Colgado(), 0.2)

    tarea = asyncio.create_task(lector())
    await asyncio.sleep(0.05)
    tarea.cancel()
    hechas, _ = await asyncio.wait({tarea}, timeout=5)
    assert hechas and tarea.cancelled()  # terminó, y como cancelada
