// La página "En vivo": las líneas llegan por server-sent events; pausar las guarda hasta reanudar.
(function () {
  "use strict";
  var lista = document.getElementById("lineas");
  var estado = document.getElementById("estado-vivo");
  var pausa = document.getElementById("pausa");
  var MAXIMO = 500;
  var vistos = new Set();
  var enPausa = [];
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
    var seguir = alFinal();
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
    if (seguir) lista.scrollTop = lista.scrollHeight;  // quien subió a leer no pierde su lugar
  }

  function decir(texto) { estado.textContent = texto; }

  pausa.addEventListener("click", function () {
    pausado = !pausado;
    pausa.setAttribute("aria-pressed", String(pausado));
    pausa.textContent = pausado ? "Reanudar" : "Pausar";
    if (!pausado) {
      enPausa.forEach(pintar);
      enPausa = [];
      decir("En vivo");
    } else {
      decir("En pausa");
    }
  });

  var fuente = new EventSource(lista.dataset.fuente);
  fuente.addEventListener("estado", function () { if (!pausado) decir("En vivo"); });
  fuente.addEventListener("linea", function (e) {
    var l = JSON.parse(e.data);
    if (vistos.has(l.id)) return;
    vistos.add(l.id);
    if (pausado) {
      enPausa.push(l);
      decir("En pausa: " + enPausa.length + " evento(s) nuevo(s) esperan");
    } else {
      pintar(l);
    }
  });
  fuente.onerror = function () { decir("Sin conexión: reintentando…"); };
}());
