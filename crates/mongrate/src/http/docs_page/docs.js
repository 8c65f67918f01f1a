// Renders the OpenAPI document of this server: one box per endpoint with its parameters and answers.
"use strict";

const TOKEN_KEY = "mongrate-token";

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
  children.forEach((child) => node.append(child));
  return node;
}

function render(doc) {
  const list = document.getElementById("endpoints");
  list.replaceChildren();
  for (const [path, operations] of Object.entries(doc.paths || {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const box = element("div", { class: "endpoint" },
        element("div", {}, element("span", { class: `method ${method}` }, method), " ", element("code", {}, path)),
        element("p", {}, operation.summary || ""));
      if (operation.description) box.append(element("p", {}, operation.description));
      if (operation.security) {
        // An empty requirement makes the token optional: reads need it only on a server with one.
        const optional = operation.security.some((requirement) => Object.keys(requirement).length === 0);
        box.append(element("p", {}, optional ? "Needs the API token when the server has one." : "Needs the API token."));
      }
      const parameters = operation.parameters || [];
      if (parameters.length) {
        const table = element("table", {}, element("tr", {}, element("th", {}, "parameter"), element("th", {}, "type"), element("th", {}, "meaning")));
        for (const p of parameters) {
          const type = (p.schema && (p.schema.type || "")).toString();
          table.append(element("tr", {}, element("td", {}, element("code", {}, p.name)), element("td", {}, type), element("td", {}, p.description || "")));
        }
        box.append(table);
      }
      const answers = element("table", {}, element("tr", {}, element("th", {}, "status"), element("th", {}, "meaning")));
      for (const [status, response] of Object.entries(operation.responses || {})) {
        answers.append(element("tr", {}, element("td", {}, status), element("td", {}, response.description || "")));
      }
      box.append(answers);
      list.append(box);
    }
  }
}

async function load() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch("/api/openapi.json", { headers });
  const problem = document.getElementById("problem");
  if (response.status === 401) {
    document.getElementById("token-form").hidden = false;
    problem.textContent = "This server needs its API token to show the document.";
    return;
  }
  if (!response.ok) {
    problem.textContent = `The document could not be read (HTTP ${response.status}).`;
    return;
  }
  problem.textContent = "";
  document.getElementById("token-form").hidden = true;
  render(await response.json());
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value);
  load();
});
load();
