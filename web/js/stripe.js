// Card payments with Stripe.js: card numbers go from the browser to Stripe only, and
// the API is given a payment method id. Locally, localstripe serves a stand-in for
// Stripe.js (GET /v1/web/config says which script to load, with which key).
import { request } from "./api.js";

let loaded = null;

function script(url) {
  return new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = url;
    tag.onload = resolve;
    tag.onerror = () => reject(new Error(`Could not load Stripe.js from ${url}`));
    document.head.append(tag);
  });
}

export async function mountCard(where) {
  loaded ??= request("/v1/web/config", { auth: false }).then(async (config) => {
    await script(config.stripe_js_url);
    return window.Stripe(config.stripe_publishable_key);
  });
  const stripe = await loaded;
  const card = stripe.elements().create("card");
  card.mount(where);
  return { stripe, card };
}

export async function paymentMethod({ stripe, card }) {
  // Stripe.js proper makes a PaymentMethod. localstripe's stand-in leaves
  // createPaymentMethod empty: its token's card id is accepted by PaymentIntents as well.
  const made = await stripe.createPaymentMethod({ type: "card", card });
  if (made?.paymentMethod) return made.paymentMethod.id;
  if (made?.error) throw new Error(made.error.message || "The card was refused.");
  const { token, error } = await stripe.createToken(card);
  if (error || !token) throw new Error(error?.message || "The card was refused.");
  return token.card.id;
}
