// CI's budget of the simulator on the fake Google Drive, the commit's band
// and the regression schedules (simulation.ts).
import { bandAndRegressionCases, budgetCases } from "./simulation.ts";

budgetCases("google-drive");
bandAndRegressionCases();
