-- AlterTable
ALTER TABLE "OperationItem" ADD COLUMN     "cloudUploadSession" TEXT;

