-- CreateTable
CREATE TABLE "AbandonedCloudWrite" (
    "userId" TEXT NOT NULL,
    "fileUUID" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "operationId" TEXT NOT NULL,
    "claimedBy" TEXT,
    "claimExpiresAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AbandonedCloudWrite_pkey" PRIMARY KEY ("userId","fileUUID","version")
);

-- CreateIndex
CREATE INDEX "AbandonedCloudWrite_nextAttemptAt_idx" ON "AbandonedCloudWrite"("nextAttemptAt");

-- AddForeignKey
ALTER TABLE "AbandonedCloudWrite" ADD CONSTRAINT "AbandonedCloudWrite_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

