// La página "En vivo": las líneas llegan por server-sent events. Lo que llega en pausa, o mientras quien lee está
// más arriba del final, espera abajo: la ventana (las últimas MAXIMO líneas) no se mueve bajo quien lee. Reanudar,
// o bajar hasta el final, lo muestra.
(function () {
  "use strict";
  var lista = document.getElementById("lineas");
  var estado = document.getElementById("estado-vivo");
  var pausa = document.getElementById("pausa");
  var MAXIMO = 500;
  var vistos = new Set();
  var enEspera = [];  // a lo más MAXIMO: de lo que espera, sólo las últimas cabrían en la ventana
  var sinLugar = 0;  // las más viejas de las que esperaban, que ya no cabían
  var pausado = false;

  lista.querySelectorAll("li[data-id]").forEach(function (li) { vistos.add(li.dataset.id); });
  lista.scrollTop = lista.scrollHeight;

  function clase(topico) {
    if (topico.indexOf("alva.ingreso.") === 0) return "t-ingreso";
    if (topico.indexOf("alva.respuestas.") === 0) return "t-respuestas";
    return "t-" + topico.replace(/^alva\./, "");
  }

  function parte(nombre, texto) {
    var s = document.createElement(nombre === "time" ? "time" : "span");
    if (nombre !== "time") s.className = nombre;
    s.textContent = texto;
    return s;
  }

  function alFinal() { return lista.scrollHeight - lista.scrollTop - lista.clientHeight < 40; }

  function pintar(l) {
    var li = document.createElement("li");
    li.className = "linea " + clase(l.topico);
    li.dataset.id = l.id;
    var a = document.createElement("a");
    a.href = "/operacion/cadena/" + encodeURIComponent(l.id);
    [["time", l.hora], ["topico", l.topico], ["tipo", l.tipo], ["inst", l.institucion], ["detalle", l.detalle]]
      .forEach(function (p, i) {
        if (i) a.appendChild(document.createTextNode(" "));
        a.appendChild(parte(p[0], p[1]));
      });
    li.appendChild(a);
    lista.appendChild(li);
    while (lista.children.length > MAXIMO) lista.removeChild(lista.firstElementChild);
  }

  function decir(texto) { estado.textContent = texto; }

  function contar() {
    var cuantos = enEspera.length + " evento(s) nuevo(s)";
    var perdidos = sinLugar ? " (" + sinLugar + " más viejo(s) ya no caben)" : "";
    if (pausado) decir("En pausa: " + cuantos + " esperan" + perdidos);
    else if (enEspera.length) decir("Leyendo más arriba: " + cuantos + " abajo" + perdidos);
    else decir("En vivo");
  }

  function esperar(l) {
    enEspera.push(l);
    if (enEspera.length > MAXIMO) { enEspera.shift(); sinLugar++; }
    contar();
  }

  function soltar() {  // sólo con quien lee al final: recortar arriba no le mueve nada
    var esperaban = enEspera;
    enEspera = [];
    sinLugar = 0;
    esperaban.forEach(pintar);
    lista.scrollTop = lista.scrollHeight;
    contar();
  }

  pausa.addEventListener("click", function () {
    pausado = !pausado;
    pausa.setAttribute("aria-pressed", String(pausado));
    pausa.textContent = pausado ? "Reanudar" : "Pausar";
    if (!pausado && alFinal()) soltar();
    else contar();
  });

  lista.addEventListener("scroll", function () {
    if (!pausado && enEspera.length && alFinal()) soltar();
  });

  var fuente = new EventSource(lista.dataset.fuente);
  fuente.addEventListener("estado", function () { contar(); });
  fuente.addEventListener("linea", function (e) {
    var l = JSON.parse(e.data);
    if (vistos.has(l.id)) return;
    vistos.add(l.id);
    if (pausado || !alFinal()) {
      esperar(l);
    } else {
      pintar(l);
      lista.scrollTop = lista.scrollHeight;
    }
  });
  fuente.onerror = function () { decir("Sin conexión: reintentando…"); };
}());
