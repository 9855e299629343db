-- CreateIndex
CREATE INDEX "Operation_userId_kind_state_fencingToken_idx" ON "Operation"("userId", "kind", "state", "fencingToken");

