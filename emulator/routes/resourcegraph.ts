// Resource Graph: POST /providers/Microsoft.ResourceGraph/resources (implementation follows).
import type { Router } from '../router';

export function registerResourceGraphRoutes(router: Router): void {
  void router;
}
