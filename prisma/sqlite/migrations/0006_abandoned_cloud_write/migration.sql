-- CreateTable
CREATE TABLE "AbandonedCloudWrite" (
    "userId" TEXT NOT NULL,
    "fileUUID" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "operationId" TEXT NOT NULL,
    "claimedBy" TEXT,
    "claimExpiresAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("userId", "fileUUID", "version"),
    CONSTRAINT "AbandonedCloudWrite_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "AbandonedCloudWrite_nextAttemptAt_idx" ON "AbandonedCloudWrite"("nextAttemptAt");

