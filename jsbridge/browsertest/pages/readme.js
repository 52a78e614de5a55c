// Runs README.md's ```js test:browser example number ?n=N (served as /readme/example-N.js).
import { publish } from "/pages/common.js";

publish({
  async run(n) {
    const logged = [];
    const log = console.log;
    console.log = (...args) => {
      logged.push(args.map(String).join(" "));
      log(...args);
    };
    try {
      await import(`/readme/example-${n}.js`);
      return logged;
    } finally {
      console.log = log;
    }
  },
});
