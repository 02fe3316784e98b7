"""Los datos de cada clase de aviso y lo que su mensaje debe decir: para las plantillas y para las entregas."""

from esquemas.ejemplos import ejemplos

OTORGADO = {
    "distintivo_id": "d-1", "programa": "ALVA", "otorgante": "prodheg", "institucion": "imss-guanajuato",
    "institucion_nombre": "Delegación Guanajuato del IMSS", "convenio_id": "C-1", "periodo": "2025-03-01/2026-02-28",
    "fecha": "2025-05-01", "vigencia": {"inicio": "2025-05-01", "fin": "2026-02-28"},
    "criterios": ["Objetivo: Capacitar a 10 personas: 11 de 10"], "credencial_jwt": "eyJ.x.y",
}
DATOS = {
    "convenio_firmado": ejemplos()["mx.alva.ingreso.convenio.firmado.v1"].data,
    "objetivo_cumplido": {"convenio_id": "C-1", "objetivo_id": "capacitar", "indicador": "personas_capacitadas",
                          "valor": 11.0, "meta": 10.0, "fecha": "2025-05-01"},
    "evidencia_rechazada": {"convenio_id": "C-1", "objetivo_id": "protocolo", "evidencia_id": "EV-1",
                            "motivo": "Falta la firma del cabildo"},
    "distintivo_otorgado": OTORGADO,
    "distintivo_por_vencer": OTORGADO,
    "distintivo_vencido": {"distintivo_id": "d-1", "convenio_id": "C-1", "institucion": "imss-guanajuato",
                           "fecha": "2026-02-28"},
    "distintivo_revocado": {"distintivo_id": "d-1", "convenio_id": "C-1", "institucion": "imss-guanajuato",
                            "motivo": "Convenio cancelado: incumplimiento"},
    "rechazo": {"entrada_id": "e-1", "entrada_tipo": "mx.alva.ingreso.sesion.completada.v1",
                "topico": "alva.ingreso.imss-guanajuato", "particion": 2, "offset": 41, "codigo": "fecha_fuera_de_vigencia",
                "motivo": "La sesión del 2027-01-10 cae fuera de la vigencia del convenio.", "campo": "data.fecha",
                "servicio": "capacitacion"},
}
ESPERADO = {
    "convenio_firmado": "ALVA-GTO-IMSS-2025",
    "objetivo_cumplido": "11 de 10",
    "evidencia_rechazada": "Falta la firma del cabildo",
    "distintivo_otorgado": "del 2025-05-01 al 2026-02-28",
    "distintivo_por_vencer": "vence en 7 días, el 2026-02-28",
    "distintivo_vencido": "venció el 2026-02-28",
    "distintivo_revocado": "Convenio cancelado: incumplimiento",
    "rechazo": "Qué corregir: La sesión del 2027-01-10 cae fuera",
}
