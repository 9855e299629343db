-- CreateTable
CREATE TABLE "OwedCloudRemoval" (
    "userId" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "fileUUID" TEXT NOT NULL,
    "operationId" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OwedCloudRemoval_pkey" PRIMARY KEY ("userId","objectId")
);

-- CreateIndex
CREATE INDEX "OwedCloudRemoval_nextAttemptAt_idx" ON "OwedCloudRemoval"("nextAttemptAt");

-- AddForeignKey
ALTER TABLE "OwedCloudRemoval" ADD CONSTRAINT "OwedCloudRemoval_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

