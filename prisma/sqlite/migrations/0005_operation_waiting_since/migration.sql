-- AlterTable
ALTER TABLE "Operation" ADD COLUMN "waitingSince" DATETIME;

