// Shared by the test pages: records CSP violations and page errors for the suite to
// check, and publishes a page's steps once its module has run.
export const violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
});

/**
 * Publishes a page's steps as window.runStep(name, args). A step runs in a task of its
 * own, started by the page's code: DevTools' evaluate (page.evaluate) lets code that
 * runs synchronously inside it eval despite the CSP, so steps must not run there.
 */
export function publish(steps) {
  const all = { ...steps, violations: () => violations };
  window.runStep = (name, args) =>
    new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          Promise.resolve(all[name](...args)).then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      }, 0);
    });
  document.title = "ready";
}

export const b64 = {
  encode: (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))),
  decode: (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)),
};

export const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
