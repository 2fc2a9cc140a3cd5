"""The RACI matrix page, by job: `filters` (what the URL asks for), `who` (the
person filter), `queries` (what one page reads), `page` (the structure the
template walks) and `cells` (the cells' HTML)."""
