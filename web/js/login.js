// Sign in (POST /v1/auth/login) or register, then back to the page that asked.
import { request, signIn } from "./api.js";
import { formValues, notice, renderHeader } from "./layout.js";
import { sameOriginTarget } from "./redirect.js";

const main = document.getElementById("main");
const login = document.getElementById("login");
const register = document.getElementById("register");

function next() {
  // Only a page of this site: never an open redirect to another origin.
  return sameOriginTarget(new URLSearchParams(location.search).get("next"), location.origin);
}

async function enter(email, password) {
  await signIn(email, password);
  location.assign(next());
}

renderHeader();
login.addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const { email, password } = formValues(login);
  try {
    await enter(email, password);
  } catch (error) {
    notice(main, error.status === 401 ? "Wrong email or password." : error.message, "error");
  }
});
document.getElementById("show-register").addEventListener("click", () => {
  register.hidden = false;
  register.elements.name.focus();
});
register.addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const { name, email, password } = formValues(register);
  try {
    await request("/v1/auth/register", { method: "POST", body: { name, email, password }, auth: false });
    await enter(email, password);
  } catch (error) {
    notice(main, error.message, "error");
  }
});
