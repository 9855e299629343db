-- CreateTable
CREATE TABLE "OwedCloudRemoval" (
    "userId" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "fileUUID" TEXT NOT NULL,
    "operationId" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("userId", "objectId"),
    CONSTRAINT "OwedCloudRemoval_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "OwedCloudRemoval_nextAttemptAt_idx" ON "OwedCloudRemoval"("nextAttemptAt");

