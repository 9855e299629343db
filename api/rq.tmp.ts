import { startTestServer } from "@smsync/testkit";
const s = await startTestServer();
const u: any = await s.newUser();
const token = Object.values(u).find((v: any) => typeof v === "string" && v.startsWith("smsync_"));
const post = (query: string, variables = {}) => fetch(`${s.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) }).then(r => r.json());
const qs: [string, string][] = [
  ["typename", "{ __typename }"],
  
  
];
for (const [name, q] of qs) {
  console.log(name, JSON.stringify(await post(q)).slice(0, 150));
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < 3000; i++) await post(q);
  const c = process.cpuUsage(c0);
  console.log(name, ((c.user + c.system) / 500 / 1000).toFixed(2), "ms CPU/req", ((performance.now() - t0) / 500).toFixed(2), "ms wall");
}
await s.close(); process.exit(0);
