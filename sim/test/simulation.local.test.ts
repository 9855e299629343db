// CI's budget of the simulator on the local cloud (simulation.ts).
import { budgetCases } from "./simulation.ts";

budgetCases("local");
