// The device a request comes from: a client that follows fileIndexChanged
// needs its own id to tell its own commits (deviceId) from other devices'.
import type { Caller } from "../../auth/deviceTokens.ts";
import { builder } from "../builder.ts";
import { requireCaller } from "../context.ts";

const DeviceType = builder.objectRef<Pick<Caller, "deviceId" | "deviceName">>("Device").implement({
  description: "One device of a user: one install of the app, with its own token.",
  fields: (t) => ({
    id: t.exposeID("deviceId", { description: "As fileIndexChanged's deviceId names the device that committed." }),
    name: t.exposeString("deviceName"),
  }),
});

builder.queryField("device", (t) =>
  t.field({
    type: DeviceType,
    description: "The device whose token the request carries.",
    resolve: (_root, _args, context) => requireCaller(context),
  }),
);
