#!/usr/bin/env node
// chat_server --web in a real browser: Debian's chromium, headless, driven by
// puppeteer-core. Two pages and one nc-style TCP member join the room, talk, whisper
// and rename, and each sees what the others did; a third page is refused a taken
// name; then the server restarts and the pages come back by themselves.
//
//   NODE_PATH=build/npm/node_modules node chat_web_browser.js TCP_PORT WEB_PORT SHOT.png
//
// Prints "ok <check>" or "FAIL <check>: why" per check; exits with the number of
// failures. Before the restart check it prints "restart now" and waits for a line on
// stdin (tests/test_chat_web.cpp restarts chat_server on the same ports, then writes it).
"use strict";
const net = require("net");
const readline = require("readline");
const puppeteer = require("puppeteer-core");

const [tcpPort, webPort, shot] = process.argv.slice(2);
const base = `http://127.0.0.1:${webPort}/`;
const LIMIT = 10000;
let failures = 0;

setTimeout(() => {
  console.log("FAIL the whole run took too long");
  process.exit(99);
}, 100000).unref();

function report(name, ok, why = "") {
  console.error(`${new Date().toISOString()} ${name}`);
  if (ok) console.log(`ok ${name}`);
  else {
    failures++;
    console.log(`FAIL ${name}: ${why}`);
  }
}

// A text-mode member, as nc is.
class Nc {
  constructor(port) {
    this.lines = [];
    this.partial = "";
    this.waiters = [];
    this.sock = net.connect(Number(port), "127.0.0.1");
    this.sock.setEncoding("utf8");
    this.sock.on("data", (d) => {
      this.partial += d;
      const parts = this.partial.split("\n");
      this.partial = parts.pop();
      this.lines.push(...parts);
      for (const w of this.waiters.splice(0)) w();
    });
    this.sock.on("error", () => {});
  }
  send(line) { this.sock.write(line + "\n"); }
  // The first line not yet taken that matches `re`, or null after LIMIT.
  async wait(re) {
    const deadline = Date.now() + LIMIT;
    for (;;) {
      const i = this.lines.findIndex((l) => re.test(l));
      if (i >= 0) return this.lines.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, left);
      });
    }
  }
  close() { this.sock.destroy(); }
}

async function until(page, fn, ...args) {
  return untilFor(LIMIT, page, fn, ...args);
}
async function untilFor(ms, page, fn, ...args) {
  try {
    await page.waitForFunction(fn, { timeout: ms, polling: 50 }, ...args);
    return true;
  } catch {
    return false;
  }
}
const users = (page) => page.$$eval("#users li", (els) => els.map((e) => e.textContent));
const messages = (page) =>
  page.$$eval("#messages li", (els) =>
    els.map((e) => ({ cls: e.className, from: e.querySelector(".from")?.textContent ?? "",
                      text: e.querySelector(".text").textContent })));
const hasUsers = (page, list) =>
  until(page, (want) => JSON.stringify([...document.querySelectorAll("#users li")].map((e) => e.textContent)) === want,
        JSON.stringify(list));
const hasMessage = (page, cls, from, text) =>
  until(page, (c, f, t) => [...document.querySelectorAll("#messages li")].some(
          (e) => (!c || e.classList.contains(c)) && (e.querySelector(".from")?.textContent ?? "") === f &&
                 e.querySelector(".text").textContent === t),
        cls, from, text);
const hasEvent = (page, text) =>
  until(page, (t) => [...document.querySelectorAll("#messages li")].some((e) => e.querySelector(".text").textContent === t), text);

async function join(page, name) {
  await page.bringToFront();
  await page.goto(base);
  await page.type("#name", name);
  await page.click("#join");
}
async function say(page, text) {
  await page.bringToFront();
  await page.type("#text", text);
  await page.keyboard.press("Enter");
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--disable-extensions", "--disable-background-networking", "--disable-sync",
           // Two pages at once: keep the one in the background running and painting.
           "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
           "--disable-backgrounding-occluded-windows"],
  });
  let nc = null;
  try {
    const a = await browser.newPage();
    const b = await browser.newPage();
    await a.setViewport({ width: 960, height: 600 });
    await b.setViewport({ width: 960, height: 600 });
    for (const p of [a, b]) p.on("pageerror", (e) => report("no script errors", false, String(e)));

    await join(a, "alice");
    await join(b, "bob");
    const joined = (await until(a, () => document.body.classList.contains("joined"))) &&
                   (await until(b, () => document.body.classList.contains("joined")));
    report("pages joined", joined);

    nc = new Nc(tcpPort);
    nc.send("carol");
    const welcome = await nc.wait(/welcome, carol/);
    report("nc sees both pages", welcome === "* welcome, carol! online: alice, bob, carol", welcome);
    const all = ["alice", "bob", "carol"];
    report("pages see each other and nc", (await hasUsers(a, all)) && (await hasUsers(b, all)),
           JSON.stringify([await users(a), await users(b)]));

    await say(a, "hello from a browser");
    const got = await nc.wait(/^<alice>/);
    report("page -> nc and page message",
           got === "<alice> hello from a browser" && (await hasMessage(b, "", "alice", "hello from a browser")) &&
           (await hasMessage(a, "mine", "alice", "hello from a browser")),
           got);
    nc.send("hi browsers, carol here");
    report("nc -> pages message",
           (await hasMessage(a, "", "carol", "hi browsers, carol here")) &&
           (await hasMessage(b, "", "carol", "hi browsers, carol here")));

    // Whisper by clicking bob's name in alice's member list.
    await a.bringToFront();
    const bobItem = (await a.$$("#users li"))[1];
    await bobItem.click();
    const targeted = await until(a, () => document.getElementById("target").classList.contains("shown") &&
                                          document.getElementById("target-name").textContent === "bob");
    await say(a, "just for you, bob");
    report("whisper by clicking a name",
           targeted && (await hasMessage(b, "whisper", "alice (whisper)", "just for you, bob")) &&
           (await hasMessage(a, "whisper", "to bob", "just for you, bob")));
    await a.click("#target-clear");

    nc.send("/msg bob a secret from carol");
    const toBob = await hasMessage(b, "whisper", "carol (whisper)", "a secret from carol");
    nc.send("after the secret");
    const aSaw = await hasMessage(a, "", "carol", "after the secret");
    const leaked = (await messages(a)).some((m) => m.text === "a secret from carol") ||
                   nc.lines.some((l) => l.includes("just for you"));
    report("nc whisper reaches one page only", toBob && aSaw && !leaked);

    // Rename from the page's Rename button.
    await a.bringToFront();
    await a.click("#rename");
    await a.click("#rename-name", { clickCount: 3 });
    await a.type("#rename-name", "alicia");
    await a.keyboard.press("Enter");
    const renamed = await nc.wait(/known as/);
    report("rename from the page",
           renamed === "* alice is now known as alicia" && (await hasUsers(b, ["alicia", "bob", "carol"])) &&
           (await until(a, () => document.getElementById("me").textContent === "as alicia")),
           renamed);

    nc.send("/nick carl");
    const after = ["alicia", "bob", "carl"];
    report("nc rename updates the member lists",
           (await hasUsers(a, after)) && (await hasUsers(b, after)) &&
           (await hasEvent(a, "carol is now known as carl")));

    const c = await browser.newPage();
    await join(c, "BOB");
    const refused = await until(c, () => document.getElementById("error").classList.contains("shown") &&
                                          /taken/.test(document.getElementById("error-text").textContent) &&
                                          !document.body.classList.contains("joined"));
    await c.type("#name", "x".repeat(40));
    await c.click("#join");
    const tooLong = await until(c, () => /1 to 32/.test(document.getElementById("error-text").textContent));
    report("name taken shown on the join form", refused && tooLong);
    await c.close();

    nc.send("see you");
    await hasMessage(a, "", "carl", "see you");
    await a.bringToFront();
    await a.screenshot({ path: shot });

    // The server restarts: both pages reconnect (with backoff) and rejoin by name.
    nc.close();
    nc = null;
    console.log("restart now");
    await new Promise((resolve) => readline.createInterface({ input: process.stdin }).once("line", resolve));
    const back = ["alicia", "bob"];
    const opts = (page) => untilFor(30000, page, (want) =>
      document.getElementById("status").textContent === "online" &&
      JSON.stringify([...document.querySelectorAll("#users li")].map((e) => e.textContent)) === want,
      JSON.stringify(back));
    const [ra, rb] = [await opts(a), await opts(b)];
    report("reconnects after the server restarts", ra && rb,
           JSON.stringify([await users(a), await users(b)]));
  } finally {
    if (nc) nc.close();
    await browser.close();
  }
}

main().then(
  () => process.exit(failures),
  (e) => {
    console.log(`FAIL ${e && e.stack ? e.stack : e}`);
    process.exit(98);
  });
